"""The HTTP scoring API (`smartcart serve`): other systems ask for one customer's persona.

records.py    request and response schemas, built from the registry and the source contracts
customer_export.py  a customer export row -> the model inputs, as the dbt models compute them
invoice_history.py  a customer's invoice lines -> the model inputs and the value models' history
value_model.py  the published value model (clv_parameters) -> predicted value and churn risk
published.py  the published warehouse and hash-checked models, reloaded when a build publishes
service.py    the FastAPI application: routes, limits, bearer token
"""
