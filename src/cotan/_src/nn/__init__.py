"""cotan.nn internals: activation functions and initializers."""
