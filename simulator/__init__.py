"""A local implementation of the Seedance 2.0 video API (see README "The simulator")."""
