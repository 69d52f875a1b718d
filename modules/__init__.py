"""Built-in sellercare modules. Each is found through the `sellercare.modules` entry point."""
