"""Sphinx configuration of the course book (`course book`); Sphinx reads it
with the generated pages of `course.book.site` as its source folder.

myst-nb renders the executed notebooks as they are (it executes nothing:
`course.book.freeze` has done that), MyST reads the notebooks' `$...$` and
`$$...$$` math, and sphinx-mathjax-offline serves MathJax 3 from the site
itself, so no page asks any other host for anything.
"""

project = "Recurrent neural networks with Keras"
author = "keras-rnn-course"
language = "en"

extensions = ["myst_nb", "sphinx.ext.mathjax", "sphinx-mathjax-offline"]
myst_enable_extensions = ["dollarmath", "amsmath", "attrs_inline"]
# As in Jupyter, $$...$$ may stand inside a paragraph.
myst_dmath_double_inline = True
# The clean notebooks offered for download are files, not pages.
exclude_patterns = ["downloads"]

# \_ and other text-mode macros inside \text{...}, as the notebooks write them.
mathjax3_config = {
    "loader": {"load": ["[tex]/textmacros"]},
    "tex": {"packages": {"[+]": ["textmacros"]}},
}

nb_execution_mode = "off"
nb_merge_streams = True
# Markdown outputs (course.device's report) with tables, as Jupyter shows them.
nb_render_markdown_format = "gfm"

html_theme = "sphinx_book_theme"
html_title = project
html_favicon = "static/favicon.svg"
html_static_path = ["static"]
html_css_files = ["book.css"]
html_js_files = ["book.js"]
html_last_updated_fmt = None
html_show_sphinx = False
html_copy_source = True
html_context = {"default_mode": "light"}
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
}
