"""Safe literal parsing."""

import ast
import sys

if __name__ == "__main__":
    print(repr(ast.literal_eval(sys.argv[1])))
