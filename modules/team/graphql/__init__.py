"""The team module's GraphQL: types, queries, mutations, dataloaders."""
