"""The marketers' dashboard (Streamlit): `smartcart dashboard` or `streamlit run ml/dashboard/app.py`."""
