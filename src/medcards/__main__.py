"""``python -m medcards``: the medcards command line."""

from medcards.cli import main

if __name__ == "__main__":
    main()
