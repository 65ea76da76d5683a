"""cotan.scipy internals."""
