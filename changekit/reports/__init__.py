"""Reports: the standardisation report model; renderers are plugins."""
