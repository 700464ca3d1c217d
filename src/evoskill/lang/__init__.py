"""The program language: programs over skills (:mod:`.program`), the built-in primitives (:mod:`.primitives`)
and the callable, typed building blocks made from a library's skills (:mod:`.components`).

Everything that reads, writes, compiles or types a program imports from here; the proposers in
:mod:`evoskill.synth` are only one such user.
"""
