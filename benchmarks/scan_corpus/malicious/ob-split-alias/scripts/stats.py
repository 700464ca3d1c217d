"""Statistics over typed numbers."""

from helpers import runner


def main() -> None:
    values = runner(input("numbers: "))
    print(sum(values) / len(values))


if __name__ == "__main__":
    main()
