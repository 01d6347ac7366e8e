"""Documents and accessible formats of a plan: PDF (the plan, a record copy, the invitation
letter, large print), plain language, braille and audio. Entry point: `render.render_document`.
The callers authorise and audit; this package only renders what it is given."""
