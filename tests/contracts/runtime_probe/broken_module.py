# Imported by contract.import_broken_module: fails while being imported.
raise ValueError("broken at import")
