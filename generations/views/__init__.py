"""Thin views: form → service → render.

Every route that touches a generation reaches it through ``get_generation_for_user``, so
another user's id is a 404 (never a 403 that would confirm it exists).
"""
