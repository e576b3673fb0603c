"""The Gmail API: the sent-mail reader (``sent``), the HTTP client (``api``), sign-in
(``auth``), history and inbox watching, and what a failed call calls for (``transient``)."""
