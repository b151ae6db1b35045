from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form field renders through one template: label, input, help and errors beside it."""

    field_template_name = "includes/field.html"
