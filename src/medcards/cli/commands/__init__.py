"""medcards sub-commands: each module defines ``register(app)``."""
