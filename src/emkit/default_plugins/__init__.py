"""Built-in emkit plugins, registered through the same hooks as third-party ones."""
