"""BMTK's ``bmtk.builder.auxi`` helper modules under Cantata's package name.

A BMTK script importing ``bmtk.builder.auxi.node_params`` or ``...edge_connectors`` runs
with ``cantata.build.auxi`` in their place.
"""
