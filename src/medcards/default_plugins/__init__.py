"""Built-in medcards plugins, registered through the same hooks as third-party ones."""
