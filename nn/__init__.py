"""Neural networks built on the autograd engine."""
