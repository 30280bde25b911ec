"""jinja2 templates of the generated project (package data: installed as hlsgen.templates)."""
