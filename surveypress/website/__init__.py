"""The MkDocs site: the generated config, the plugin and hooks, and `mkdocs build` itself."""
