"""The ``cheesemaze`` command line."""
