"""The faces of the assistant: the ``newsqa`` command (:mod:`newsqa.cli`) and the chat's HTML
(:mod:`newsqa.render`, which needs no Gradio; ``app.py`` wires it into the page)."""
