"""The desktop simulator (Qt). Nothing under gdsim.core imports from here.

(NumPy's BLAS threads are chosen in gdsim/__init__.py, for the window and headless runs alike.)
"""
