// Placeholder until the module's first commit.
