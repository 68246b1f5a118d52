"""The anonymous survey (Saalbefragung): a short YAML file of questions with fixed answers.

``model`` (frozen survey, its stored JSON form), ``loader`` (YAML -> survey, problems with
file:line:column), ``links`` (deep links and the QR code), ``results`` (marginals with the
k rule, text, JSON and the report's HTML section), ``admin`` (open, close, results through the
store), ``participation`` (what the runtime asks and writes for a participant's step).
"""
