"""The lightest Streamlit page there is: one sentence, no sidebar, no analysis.

``python benchmarks/bench_sessions.py --page bare`` opens it in N concurrent browser
sessions to measure the floor that Streamlit's own front end sets on this machine: the
time the same browsers take to show *any* Streamlit page, against which the app's first
page is read.
"""

import streamlit as st

st.write("Bare Streamlit page: one sentence, no analysis.")
