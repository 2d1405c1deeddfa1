"""The ``bimcheck`` command line (click). Thin: options in, one library call, output out."""
