"""The sample budgets of ``samples/``, as :class:`~costsheet.inputs.Budget` objects.

``samples/make_samples.py`` writes them as workbooks (and the tests check that the committed
files match). Figures not taken from a cited source are illustrative assumptions, and the line
names say so.

``monthly_budget`` is the ``monthly-actuals.xlsx`` budget: a 13B model with three months of
actuals. Two currencies: GPUs, data and facilities are billed in USD; the research team is paid in
EUR, budgeted at 1.08 USD/EUR, booked at each month's actual rate (FX sheet rows with a month).
"""

from __future__ import annotations

from collections.abc import Callable

from costsheet.inputs import Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.variance import ActualLine

__all__ = [
    "DEEPSEEK_V3_GPU_HOURS", "DEEPSEEK_V3_PRICE", "MONTHLY_FX", "SAMPLES", "SAMPLE_NOTES",
    "deepseek_v3_like",
    "frontier_owned", "k2_thinking_like", "monthly_actuals", "monthly_budget", "reasoning_model",
    "small_7b_rented",
]


def small_7b_rented() -> Budget:
    """A 7B dense model on 2T tokens, 64 rented on-demand H100s, a team of four."""
    return Budget(
        name="small-7b-rented",
        drivers=Drivers(mfu=0.40, experiment_multiplier=0.25, staff_burden=0.25,
                        start_month="2026-01"),
        pools=[GpuPool(name="h100-ondemand", gpu_type="H100", gpu_count=64, ownership="rent",
                       price_per_gpu_hour=2.99, start_month="2026-02")],
        runs=[TrainingRun(name="7b-final", kind="final", params=7e9, tokens=2e12,
                          start_month="2026-02")],
        data=[
            CostLine(name="corpus filtering and dedup", kind="processing", quantity=30,
                     unit="TB", unit_cost=25),
            CostLine(name="object storage", kind="storage", quantity=60, unit="TB",
                     unit_cost=23, months=6),
            CostLine(name="instruction data (vendor)", kind="dataset", quantity=10_000,
                     unit="item", unit_cost=2.5, overhead=0.10),
        ],
        staff=[
            StaffLine(role="research engineer", headcount=2, annual_salary=220_000, months=6),
            StaffLine(role="data engineer", headcount=1, annual_salary=180_000, months=6),
            StaffLine(role="engineering manager", headcount=1, annual_salary=240_000,
                      allocation=0.5, months=6),
        ],
        scenarios={
            "Low": {"mfu": 0.45, "experiment_multiplier": 0.15,
                    "pools.h100-ondemand.price_per_gpu_hour": 2.49},
            "High": {"mfu": 0.32, "experiment_multiplier": 0.5},
        },
    )


#: DeepSeek-V3 technical report, Table 1: pre-training 2,664K + context extension 119K +
#: post-training 5K = 2,788K H800 GPU-hours, at an assumed $2 per GPU-hour = $5.576M.
DEEPSEEK_V3_GPU_HOURS = 2_788_000.0
DEEPSEEK_V3_PRICE = 2.0


def deepseek_v3_like() -> Budget:
    """DeepSeek-V3's final run as reported, with illustrative staff, data and experiments."""
    return Budget(
        name="deepseek-v3-like",
        drivers=Drivers(experiment_multiplier=0.0, staff_burden=0.30, currency="USD",
                        start_month="2024-06"),
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, ownership="rent",
                       price_per_gpu_hour=DEEPSEEK_V3_PRICE, start_month="2024-09")],
        runs=[
            TrainingRun(name="v3-final", kind="final", pool="h800", params=671e9,
                        active_params=37e9, tokens=14.8e12, precision="fp8",
                        gpu_hours=DEEPSEEK_V3_GPU_HOURS, start_month="2024-09"),
            TrainingRun(name="ablations (illustrative)", kind="experiment", pool="h800",
                        gpu_hours=1_500_000, start_month="2024-06"),
        ],
        data=[
            CostLine(name="crawl and processing (illustrative)", kind="processing",
                     quantity=3_000, unit="TB", unit_cost=40),
            CostLine(name="storage (illustrative)", kind="storage", quantity=5_000, unit="TB",
                     unit_cost=20, months=9),
            CostLine(name="SFT and preference data (illustrative)", kind="labelling",
                     quantity=1_500_000, unit="item", unit_cost=0.8, overhead=0.15),
        ],
        staff=[
            StaffLine(role="researchers and engineers (illustrative)", headcount=140,
                      annual_salary=150_000, months=9),
            StaffLine(role="data annotation team (illustrative)", headcount=30,
                      annual_salary=40_000, months=6),
        ],
        scenarios={
            "Low": {"staff_burden": 0.20, "pools.h800.price_per_gpu_hour": 1.80},
            "High": {"staff_burden": 0.40, "experiment_multiplier": 0.5,
                     "interruption_rate_per_1000_gpu_days": 0.47,
                     "pools.h800.price_per_gpu_hour": 2.50},
        },
    )


def frontier_owned() -> Budget:
    """A ~400B dense model on 15T tokens on an owned 16,384-H100 cluster (illustrative)."""
    return Budget(
        name="frontier-owned",
        drivers=Drivers(
            mfu=0.40, pue=1.2, kwh_price=0.08, depreciation_life_years=4,
            colocation_per_kw_month=150, experiment_multiplier=1.0,
            interruption_rate_per_1000_gpu_days=0.47, checkpoint_interval_hours=1.0,
            restart_hours=0.5, restart_probability=0.10, restart_share_lost=0.5,
            staff_burden=0.30, currency="USD", start_month="2026-01"),
        pools=[GpuPool(name="h100-cluster", gpu_type="H100", gpu_count=16_384,
                       ownership="own", purchase_price_per_gpu=25_000, term_months=9,
                       start_month="2026-01")],
        runs=[TrainingRun(name="llm-400b", kind="final", params=400e9, tokens=15e12,
                          start_month="2026-03")],
        data=[
            CostLine(name="licensed text (books, news)", kind="dataset", quantity=1,
                     unit="licence", unit_cost=20_000_000),
            CostLine(name="human preference labelling", kind="labelling", quantity=1_000_000,
                     unit="comparison", unit_cost=8, overhead=0.15),
            CostLine(name="expert SFT demonstrations", kind="labelling", quantity=100_000,
                     unit="item", unit_cost=50, overhead=0.15),
            CostLine(name="web crawl and processing", kind="processing", quantity=20_000,
                     unit="TB", unit_cost=30),
            CostLine(name="storage", kind="storage", quantity=30_000, unit="TB", unit_cost=15,
                     months=12),
        ],
        staff=[
            StaffLine(role="research scientist", headcount=60, annual_salary=450_000),
            StaffLine(role="ML engineer", headcount=100, annual_salary=350_000),
            StaffLine(role="infrastructure engineer", headcount=30, annual_salary=300_000),
            StaffLine(role="data operations", headcount=20, annual_salary=200_000),
        ],
        other=[
            CostLine(name="colocation fit-out", family="power_facilities", kind="datacenter",
                     quantity=1, unit="project", unit_cost=5_000_000),
            CostLine(name="network support contract", family="compute", kind="network",
                     quantity=1, unit="month", unit_cost=200_000, months=12),
        ],
        scenarios={
            "Low": {"mfu": 0.45, "experiment_multiplier": 0.7, "kwh_price": 0.06},
            "High": {"mfu": 0.35, "experiment_multiplier": 1.5, "kwh_price": 0.10,
                     "restart_probability": 0.2, "runs.llm-400b.tokens": 18e12},
        },
    )


#: DeepSeek-R1 (Guo et al., "DeepSeek-R1 incentivizes reasoning in LLMs through reinforcement
#: learning", Nature 645, 633-638, 2025; Supplementary Information B.4.4 and Table 7; the same in
#: arXiv 2501.12948 v2): R1-Zero on 64 x 8 H800 GPUs for about 198 hours, R1 for about 80 hours,
#: about 5K GPU-hours to create the SFT data; 147K H800 GPU-hours, $294K at $2 per GPU-hour.
#: R1-Zero's RL: 10,400 steps x 32 questions x 16 sampled outputs (Section 2.1).
R1_GPUS = 64 * 8
R1_ZERO_HOURS = 198
R1_HOURS = 80
R1_SFT_DATA_GPU_HOURS = 5_000
R1_PRICE = 2.0
#: DeepSeek-V3 technical report, Table 1: pre-training 2,664K and context extension 119K H800
#: GPU-hours (its 5K of post-training are V3's own, not R1's)
V3_PRETRAINING_GPU_HOURS = 2_664_000
V3_CONTEXT_EXTENSION_GPU_HOURS = 119_000


def reasoning_model() -> Budget:
    """DeepSeek-R1 as published: DeepSeek-V3-Base's pre-training and context extension, then
    R1's post-training (R1-Zero RL, SFT data generation, R1 RL), every stage from its published
    GPU-hours and GPU count, at the $2 per GPU-hour both papers assume."""
    shape = dict(params=671e9, active_params=37e9)
    return Budget(
        name="reasoning-model",
        drivers=Drivers(currency="USD", start_month="2024-06"),
        pools=[
            GpuPool(name="h800-2048", gpu_type="H800", gpu_count=2048, ownership="rent",
                    price_per_gpu_hour=R1_PRICE, start_month="2024-09"),
            GpuPool(name="h800-512", gpu_type="H800", gpu_count=R1_GPUS, ownership="rent",
                    price_per_gpu_hour=R1_PRICE, start_month="2024-12"),
        ],
        runs=[
            TrainingRun(name="v3-base", pool="h800-2048", tokens=14.8e12, precision="fp8",
                        gpu_hours=V3_PRETRAINING_GPU_HOURS, start_month="2024-09", **shape),
            TrainingRun(name="v3-context-extension", stage="midtraining", pool="h800-2048",
                        precision="fp8", gpu_hours=V3_CONTEXT_EXTENSION_GPU_HOURS,
                        start_month="2024-11", **shape),
            TrainingRun(name="r1-zero", stage="rl", pool="h800-512",
                        gpu_hours=R1_GPUS * R1_ZERO_HOURS, prompts=10_400 * 32,
                        samples_per_prompt=16, start_month="2024-12", **shape),
            TrainingRun(name="r1-sft-data", stage="synthetic_data", pool="h800-512",
                        gpu_hours=R1_SFT_DATA_GPU_HOURS, start_month="2025-01"),
            TrainingRun(name="r1", stage="rl", pool="h800-512", gpu_hours=R1_GPUS * R1_HOURS,
                        start_month="2025-01", **shape),
        ],
        scenarios={
            "Low": {"pools.h800-2048.price_per_gpu_hour": 1.80,
                    "pools.h800-512.price_per_gpu_hour": 1.80},
            "High": {"pools.h800-2048.price_per_gpu_hour": 2.50,
                     "pools.h800-512.price_per_gpu_hour": 2.50},
        },
    )


#: Kimi K2 (Kimi Team, "Kimi K2: Open Agentic Intelligence", arXiv 2507.20534, and the model
#: card): 1.04T total and 32B activated parameters (MoE), pre-trained on 15.5T tokens, on NVIDIA
#: H800 GPUs. Moonshot AI publishes no GPU-hours and no cost for K2 or K2 Thinking.
K2_PARAMS = 1.04e12
K2_ACTIVE = 32e9
K2_TOKENS = 15.5e12
#: the $4.6M that circulates for K2 Thinking: unofficial ("坊间传闻", a rumour, in the article
#: this product's brief quotes, /work/shared/seed)
K2_THINKING_RUMOUR = 4_600_000
#: DeepSeek-V3's pre-training MFU as its own figures imply it: 6 x 37B x 14.8T FLOPs in 2,664K
#: H800 GPU-hours at 989.4 TFLOP/s (BF16 dense) = 34.6%, at the P90 of published Hopper runs
V3_IMPLIED_MFU = 0.346


def k2_thinking_like() -> Budget:
    """A K2-Thinking-like plan: K2's published size and tokens, pre-trained at a utilisation
    costsheet does not know (the published runs' median, with their P10-P90), then an RL stage
    whose size is illustrative (K2 Thinking's is not published), at DeepSeek's $2 per H800
    GPU-hour. The "V3-like MFU" scenario pre-trains at DeepSeek-V3's implied MFU."""
    return Budget(
        name="k2-thinking-like",
        drivers=Drivers(currency="USD", start_month="2025-01"),
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, ownership="rent",
                       price_per_gpu_hour=R1_PRICE, start_month="2025-01")],
        runs=[
            TrainingRun(name="k2-pretraining", pool="h800", params=K2_PARAMS,
                        active_params=K2_ACTIVE, tokens=K2_TOKENS, start_month="2025-01"),
            TrainingRun(name="thinking-rl (illustrative)", stage="rl", pool="h800",
                        params=K2_PARAMS, active_params=K2_ACTIVE, prompts=1_000_000,
                        samples_per_prompt=16, prompt_tokens=2_000, generated_tokens=16_000,
                        start_month="2025-08"),
        ],
        scenarios={
            "V3-like MFU": {"runs.k2-pretraining.mfu": V3_IMPLIED_MFU},
        },
    )


#: sample file name → builder (the monthly sample, with its actuals, is written on its own)
SAMPLES: dict[str, Callable[[], Budget]] = {
    "small-7b-rented.xlsx": small_7b_rented,
    "deepseek-v3-like.xlsx": deepseek_v3_like,
    "frontier-owned.xlsx": frontier_owned,
    "reasoning-model.xlsx": reasoning_model,
    "k2-thinking-like.xlsx": k2_thinking_like,
}


#: actual USD per EUR, per month (illustrative)
MONTHLY_FX: dict[str, dict[str, float]] = {
    "EUR": {"2026-01": 1.04, "2026-02": 1.06, "2026-03": 1.09},
}


def monthly_budget() -> Budget:
    """A year from 2026-01: H100s reserved for two months, owned A100s, EUR salaries."""
    return Budget(
        name="monthly-actuals",
        drivers=Drivers(start_month="2026-01", currency="USD", experiment_multiplier=0.3,
                        colocation_per_kw_month=160, staff_burden=0.25),
        pools=[
            GpuPool(name="h100-reserved", gpu_type="H100", gpu_count=160, ownership="rent",
                    price_per_gpu_hour=2.20, term_months=2, start_month="2026-02"),
            GpuPool(name="a100-owned", gpu_type="A100", gpu_count=64, ownership="own",
                    purchase_price_per_gpu=12_000, start_month="2026-01"),
        ],
        runs=[
            TrainingRun(name="main-13b", pool="h100-reserved", params=13e9, tokens=2e12,
                        start_month="2026-02"),
            TrainingRun(name="ablations-1b", kind="experiment", pool="a100-owned",
                        params=1e9, tokens=100e9, count=12, start_month="2026-01"),
        ],
        other=[
            CostLine(name="lab space", family="power_facilities", kind="office", unit="month",
                     unit_cost=4_500, months=12),
        ],
        data=[
            CostLine(name="licensed corpus", kind="dataset", unit_cost=180_000,
                     start_month="2026-02"),
            CostLine(name="object storage", kind="storage", quantity=300, unit="TB",
                     unit_cost=21, months=12),
        ],
        staff=[
            StaffLine(role="research scientist", headcount=3, annual_salary=150_000,
                      currency="EUR"),
            StaffLine(role="ML engineer", headcount=4, annual_salary=110_000, currency="EUR"),
        ],
        fx_rates={"EUR": 1.08},
    )


def monthly_actuals() -> list[ActualLine]:
    """Three months of bookings: GPU invoices in USD, payroll in EUR, data lines by name."""
    rows = [
        ("2026-01", "compute", "Purchase: a100-owned", 1_350_000, "USD", "A100 servers"),
        ("2026-01", "staff", None, 101_000, "EUR", "payroll incl. employer costs"),
        ("2026-01", "data", "object storage", 6_300, "USD", "storage"),
        ("2026-01", "power_facilities", None, 5_300, "USD", "lab space and power"),
        ("2026-02", "compute", None, 220_830, "USD", "H100 reservation: final run share"),
        ("2026-02", "experiments", None, 36_130, "USD", "H100 reservation: sweeps share"),
        ("2026-02", "staff", None, 104_500, "EUR", "payroll; one hire early"),
        ("2026-02", "data", "licensed corpus", 195_000, "USD", "licence, signed at a premium"),
        ("2026-02", "data", "object storage", 6_900, "USD", "storage"),
        ("2026-02", "power_facilities", None, 4_600, "USD", "lab space"),
        ("2026-03", "compute", None, 235_270, "USD", "H100 reservation + egress overrun"),
        ("2026-03", "experiments", None, 36_130, "USD", "H100 reservation: sweeps share"),
        ("2026-03", "staff", None, 104_500, "EUR", "payroll"),
        ("2026-03", "data", "object storage", 7_400, "USD", "storage"),
        ("2026-03", "power_facilities", None, 4_550, "USD", "lab space"),
    ]
    return [ActualLine(month=mo, family=fam, item=item, amount=amount, currency=cur, note=note)
            for mo, fam, item, amount, cur, note in rows]


# ---------------------------------------------------------------------------------------------
# what a sample's README sheet says about it: what it is, its sources, what it shows


def _millions(x: float) -> str:
    return f"${x / 1e6:,.1f}M"


def reasoning_model_notes() -> list[tuple[str, str]]:
    """The reasoning-model sample's sources, and the figures it reproduces (computed)."""
    from costsheet.model.budget import compute_budget
    from costsheet.model.stages import group_totals

    split = group_totals(compute_budget(reasoning_model()))
    r1 = split["post-training"] + split["data generation"]
    return [
        ("Sample", "DeepSeek-R1 as published: DeepSeek-V3-Base (pre-training and context "
                   "extension), then R1's post-training (R1-Zero RL, SFT data generation, R1 "
                   "RL). Every GPU-hour figure is the publisher's own; the price is the $2 per "
                   "H800 GPU-hour both papers assume."),
        ("Source", "DeepSeek-V3 technical report (arXiv 2412.19437), Table 1: pre-training "
                   "2,664K and context extension 119K H800 GPU-hours, on 2,048 H800 GPUs."),
        ("Source", "DeepSeek-R1 (Guo et al., Nature 645, 633-638, 2025), Supplementary "
                   "Information B.4.4 and Table 7: R1-Zero on 64 x 8 H800 GPUs for about 198 "
                   "hours (101,376 GPU-hours), about 5K GPU-hours to create the SFT data, R1 "
                   "about 80 hours on the same GPUs (40,960): 147K H800 GPU-hours, $294K at $2 "
                   "per GPU-hour. R1-Zero: 10,400 steps x 32 questions x 16 sampled outputs "
                   "(Section 2.1)."),
        ("Check", f"Summary, Cost by stage: post-training ${split['post-training']:,.0f} + "
                  f"data generation ${split['data generation']:,.0f} = ${r1:,.0f} (published: "
                  f"$294K); pre-training ${split['pre-training']:,.0f} = (2,664K + 119K) "
                  "GPU-hours x $2."),
        ("Not included", "DeepSeek-V3's own post-training (5K GPU-hours: R1 replaces it), "
                         "research and ablation runs, data and staff: neither paper publishes "
                         "them."),
    ]


def k2_thinking_notes() -> list[tuple[str, str]]:
    """The K2-Thinking-like sample's sources, and where $4.6M can and cannot come from."""
    from costsheet.catalog import default_catalog
    from costsheet.model.budget import compute_budget
    from costsheet.model.default_ranges import published_band
    from costsheet.model.scenarios import apply_scenario
    from costsheet.model.stages import group_totals

    budget = k2_thinking_like()
    base = compute_budget(budget)
    band = published_band(budget, base)
    assert band is not None
    v3 = compute_budget(apply_scenario(budget, "V3-like MFU"), scenario="V3-like MFU")
    peak = default_catalog().get("H800").peak_flops("bf16")
    flops = 6 * K2_ACTIVE * K2_TOKENS
    rumour_mfu = flops / (K2_THINKING_RUMOUR / R1_PRICE * 3600 * peak)
    pre = group_totals(base)["pre-training"]
    pre_v3 = group_totals(v3)["pre-training"]
    rl = group_totals(base)["post-training"]
    return [
        ("Sample", "A plan shaped like Kimi K2 Thinking: K2's published size and tokens, "
                   "pre-trained, then an RL stage. It shows where a figure like $4.6M can and "
                   "cannot come from."),
        ("Source", "Kimi K2 technical report (Kimi Team, arXiv 2507.20534) and model card: "
                   "1.04T total and 32B activated parameters (MoE), 15.5T pre-training tokens, "
                   "NVIDIA H800 GPUs. Moonshot AI publishes no GPU-hours and no cost for K2 or "
                   "K2 Thinking."),
        ("The $4.6M", "Unofficial. Quoted for K2 Thinking after its release (November 2025), "
                      "as a rumour ('坊间传闻'), by the Chinese article on training costs "
                      "(大模型的训练成本) this sample answers; Moonshot AI has not published a "
                      "training cost."),
        ("Assumed", "2,048 H800s rented at $2 per GPU-hour (DeepSeek's convention); the RL "
                    "stage's size (1M prompts x 16 samples x 2K prompt + 16K generated tokens) "
                    "is illustrative; no MFU is stated, so pre-training takes the median of "
                    f"published H100-class runs ({band.estimates[0].point:.1%}) with their "
                    "P10-P90, and the rollouts the RL decode default (1%)."),
        ("Can", f"Pre-training alone at the MFU DeepSeek-V3's own figures imply ("
                f"{V3_IMPLIED_MFU:.1%}: 6 x 37B x 14.8T FLOPs in 2,664K H800 GPU-hours) costs "
                f"{_millions(pre_v3)} at $2 (scenario 'V3-like MFU'); $4.6M is K2's "
                f"pre-training at {rumour_mfu:.1%} MFU, above the P90 of published Hopper runs. "
                f"Or it is an RL stage {K2_THINKING_RUMOUR / rl:.0f} times this illustrative "
                f"one ({_millions(rl)})."),
        ("Cannot", f"Pre-training and RL at the published median MFU: {_millions(base.total)} "
                   f"(Summary, Base; P10-P90 {_millions(band.total[0])} to "
                   f"{_millions(band.total[1])}); pre-training alone at the median: "
                   f"{_millions(pre)}. Nor any figure that includes experiments, failed runs, "
                   "data or staff: at $4.6M there is no room left for them."),
    ]


#: sample file name → the rows its README sheet adds about it (label, text)
SAMPLE_NOTES: dict[str, Callable[[], list[tuple[str, str]]]] = {
    "reasoning-model.xlsx": reasoning_model_notes,
    "k2-thinking-like.xlsx": k2_thinking_notes,
}
