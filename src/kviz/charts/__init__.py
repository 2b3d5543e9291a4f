"""Chart builders: a (filtered, typed) findings DataFrame in, a plotly Figure out.

`style` holds the one look and the helpers every builder shares; each other module builds one family of charts;
`catalogue` lists every chart once (its key, title and builder), and pages, slides and the offline report all
take their charts from it.
"""
