"""A worked third-party plugin for emkit and medcards, packaged as its own distribution."""
