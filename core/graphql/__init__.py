"""What every module's GraphQL uses: context, permissions, Node, keyset connections, payloads."""
