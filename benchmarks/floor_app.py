"""The floor: the least work Streamlit and plotly can do for one filtered chart of the same CSV.

Benchmarks compare every kviz page with this page, served the same way in the same run: what is left
after subtracting it is the cost of kviz itself. It reads the same file as the app ($KVIZ_DATA, else the
bundled findings), with plain pandas.read_csv cached like the app caches its data, and shows one filter
widget and one plotly chart (findings per year). Run: streamlit run benchmarks/floor_app.py
"""

import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

DATA = Path(os.environ.get("KVIZ_DATA") or Path(__file__).resolve().parents[1] / "data" / "findings.csv")


@st.cache_data
def read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


findings = read(str(DATA))
with st.sidebar:
    forms = st.multiselect("Vitamin K form", sorted(findings["k_form"].unique()), placeholder="All")
rows = findings[findings["k_form"].isin(forms)] if forms else findings
per_year = rows["published"].str[:4].loc[lambda years: years != ""].value_counts().sort_index()
st.title("Floor")
st.plotly_chart(go.Figure(go.Bar(x=per_year.index, y=per_year.to_numpy())), width="stretch")
