"""The retrieval index: embeddings of kept emails in hnswlib, kept in step with the store."""

from panza.daemon.index.embedder import (
    DEFAULT_MODEL,
    Embedder,
    SentenceEmbedder,
    document_text,
    load_embedder,
    query_text,
    resolve_model,
)
from panza.daemon.index.hnsw import DEFAULT_PARAMS, IndexParams, VectorIndex
from panza.daemon.index.refresh import EmailIndex, UpdatePlan, UpdateReport
from panza.daemon.index.retrieve import DEFAULT_K, DEFAULT_THRESHOLD, Retrieved, retrieve

__all__ = [
    "DEFAULT_K",
    "DEFAULT_MODEL",
    "DEFAULT_PARAMS",
    "DEFAULT_THRESHOLD",
    "EmailIndex",
    "Embedder",
    "IndexParams",
    "Retrieved",
    "SentenceEmbedder",
    "UpdatePlan",
    "UpdateReport",
    "VectorIndex",
    "document_text",
    "load_embedder",
    "query_text",
    "resolve_model",
    "retrieve",
]
