"""Chinese labels and help for the template (``costsheet new --lang zh``).

Keys are the template's stable keys (``section.field``); anything missing falls back to English,
and a test checks that nothing is missing.
"""

from __future__ import annotations

#: ``section.key`` → (label, help)
LABELS: dict[str, tuple[str, str]] = {
    # Drivers
    "drivers.mfu": ("默认 MFU", "模型算力利用率：实际吞吐 / BF16 峰值稠密吞吐。"
                    "留空：同代芯片公开训练的中位数（A100 类 38%，H100 类 22%；"
                    "见 `costsheet runs`）。"),
    "drivers.pue": ("PUE", "数据中心总功率 / IT 功率（电能使用效率），>= 1。"),
    "drivers.avg_power_draw": ("平均功耗比例", "服务器平均功耗占峰值的比例。"),
    "drivers.kwh_price": ("电价", "每千瓦时价格；仅自有硬件计电费。"),
    "drivers.grid_kg_co2_per_kwh": ("电网碳强度", "每千瓦时电的排放量。"),
    "drivers.depreciation_life_years": ("折旧年限", "自有硬件的使用年限，直线折旧。"),
    "drivers.server_premium": (
        "服务器溢价",
        "每 GPU 的服务器成本是 GPU"
        " 价格的倍数（CPU、内存、机箱）。"),
    "drivers.networking_share": ("网络占比", "互联网络占整个集群成本的比例。"),
    "drivers.colocation_per_kw_month": (
        "机房托管价",
        "自有硬件每千瓦 IT 负载"
        "每月的机房空间与制冷费用。"),
    "drivers.experiment_multiplier": (
        "实验倍数", "扫参与消融实验占最终训练 GPU 时的倍数：额外 GPU 时 ÷ 最终训练"
        "（Epoch AI 的总倍数 2.2 在此为 1.2）。"),
    "drivers.interruption_rate_per_1000_gpu_days": (
        "中断率", "每 1,000 GPU 日的任务中断次数（Llama 3 405B 约 0.47）。"),
    "drivers.checkpoint_interval_hours": (
        "检查点间隔",
        "两次检查点之间的时间"
        "；每次中断损失其一半。"),
    "drivers.restart_hours": ("重启时间", "中断后重启整个任务所需时间。"),
    "drivers.restart_probability": ("重训风险", "最终训练发散或失败、需部分重做的概率。"),
    "drivers.restart_share_lost": ("失败损失比例", "失败时需要重做的最终训练比例。"),
    "drivers.staff_burden": ("人员附加成本", "工资之外的雇主成本（税、福利、设备），例如 30%。"),
    "drivers.currency": ("报告币种", "所有合计使用的币种（USD、EUR、CNY ……）。"),
    "drivers.start_month": ("起始月份", "预算期的第一个月。"),
    "drivers.experiments_total_multiple": (
        "实验总倍数", "Epoch AI 的口径：整个项目的全部 GPU 时 ÷ 最终训练（例如 2.2）。"
        "留空：使用实验倍数。此处 2.2 等于实验倍数 1.2。"),
    "drivers.price_basis": (
        "目录价格口径", "未填价格的资源池使用哪种目录租用价：on-demand（按需）或 committed"
        "（多年承诺价；仅部分 GPU 有）。"),
    # Pools
    "pools.name": ("GPU 池", "简短且唯一的名称，例如 h800-main。"),
    "pools.gpu_type": ("GPU 型号", "目录中的 GPU（H100、H800、A100、B200、MI300X ……）。"),
    "pools.gpu_count": ("GPU 数量", "该池的 GPU 数量。"),
    "pools.ownership": ("租用或自有", "rent（租用）或 own（自有）。"),
    "pools.price_per_gpu_hour": ("租用价格", "租用：每 GPU 小时价格（留空：目录按需价格）。"),
    "pools.purchase_price_per_gpu": (
        "采购价格", "自有：每块 GPU 价格（留空：目录价格）。服务器溢价与网络按驱动因素加入。"),
    "pools.term_months": (
        "预留期限",
        "持有并按此月数全额计费（预留租用或自有产能"
        "）。留空：按实际 GPU 时计费（按需）。"),
    "pools.power_w": (
        "平均功率",
        "每 GPU 平均功率，含服务器分摊（留空："
        "TDP × 服务器系数 × 平均功耗比例）。"),
    "pools.start_month": ("起始月份", "该池开始的月份。"),
    "pools.currency": ("币种", "留空：报告币种。"),
    # Runs
    "runs.name": ("训练", "简短且唯一的名称。"),
    "runs.kind": ("类型", "final（最终发布的训练）或 experiment（消融或测试训练）。"),
    "runs.pool": ("GPU 池", "运行所在的 GPU 池（留空：唯一的池）。"),
    "runs.params": ("参数量", "总参数量，例如 671B。"),
    "runs.active_params": ("激活参数量", "每个 token 激活的参数（MoE），例如 37B。留空：全部。"),
    "runs.tokens": ("训练 token 数", "训练 token 数，例如 14.8T。"),
    "runs.flops": ("训练 FLOPs", "留空：6 × 激活参数 × token 数。"),
    "runs.mfu": ("MFU", "留空：驱动因素中的默认 MFU。"),
    "runs.precision": ("精度", "bf16 或 fp8：MFU 对应的峰值吞吐。"),
    "runs.gpu_hours": ("GPU 小时", "给定的 GPU 小时优先于 FLOPs / 吞吐估算。"),
    "runs.count": ("次数", "实验：此类训练的次数。"),
    "runs.start_month": ("起始月份", "训练开始的月份。"),
    "runs.stage": ("阶段", "pretraining（留空）、midtraining、sft、preference、rl、distillation、"
                   "synthetic_data 或 evaluation：决定 FLOPs 的计算公式（见 docs/model.md）。"),
    "runs.prompts": ("提示数", "强化学习、合成数据、评测：整个训练的提示总数（强化学习：步数 × 每步"
                     "提示数），例如 332.8K。"),
    "runs.samples_per_prompt": ("每提示采样数", "每个提示生成的回答数（GRPO 组大小，例如 16）。"),
    "runs.prompt_tokens": ("提示 token 数", "生成前读入的平均提示长度（预填充）。留空：0。"),
    "runs.generated_tokens": ("生成 token 数", "每个样本平均生成的 token 数（rollout、合成样本、"
                              "评测回答）。"),
    "runs.teacher_params": ("教师模型参数量", "蒸馏：教师模型的激活参数，对学生的训练 token "
                            "做前向计算。"),
    "runs.reward_model_params": ("奖励模型参数量", "强化学习、合成数据、评测：读取每个样本的奖励"
                                 "模型或评判模型的激活参数。留空：基于规则的奖励，无模型。"),
    "runs.decode_mfu": ("解码 MFU", "逐 token 生成时的利用率（受显存带宽限制）。留空：强化学习 1%"
                        "（由 DeepSeek-R1-Zero 公布的 GPU 小时推得；随 rollout 长度为 0.6–4.3%），"
                        "合成数据和评测 14%（DeepSeek 公布的 H800 推理吞吐）。"),
    "runs.layers": ("层数", "Transformer 层数（config.json 中的 num_hidden_layers）。"),
    "runs.hidden_size": ("隐藏维度", "模型宽度（config.json 中的 hidden_size），例如 16,384。"),
    "runs.attention_heads": ("注意力头数", "查询头数（config.json 中的 num_attention_heads）。"),
    "runs.kv_heads": ("KV 头数", "键/值头数（分组查询注意力）。留空：与注意力头数相同。"),
    "runs.seq_len": ("序列长度", "训练序列长度，用于估算激活显存。留空：不计激活"
                     "（强化学习：提示 + 生成 token 数）。"),
    "runs.micro_batch": ("微批大小", "每块 GPU 一次前向/反向计算的序列数。"),
    "runs.recompute": ("激活重计算", "full（显存最少）、selective 或 none。"),
    "runs.sharding": ("状态分片", "权重、梯度和优化器状态在池内 GPU 间的切分方式：zero3"
                      "（FSDP 完全分片）、zero2、zero1 或 none（每块 GPU 各存一份）。"),
    "runs.tensor_parallel": ("张量并行", "切分每一层的 GPU 数。留空：8（一台 NVLink 服务器），"
                             "池更小时取池的 GPU 数。"),
    "runs.optimizer": ("优化器", "adam（混合精度，每参数 12 字节状态）、adam_8bit（6）"
                       "或 sgd（8）。"),
    "runs.concurrent_sequences": ("并发序列数", "同时生成的序列数，用于估算 KV 缓存显存。"
                                  "留空：每提示采样数。"),
    # Data lines
    "data.name": ("项目", "内容说明。"),
    "data.kind": ("类别", "例如 dataset、crawl、storage、labelling、processing。"),
    "data.quantity": ("数量", "单位数量（例如 120 TB、5 万条）。"),
    "data.unit": ("单位", "数量的单位（TB、条、小时 ……）。"),
    "data.unit_cost": ("单价", "每单位价格。"),
    "data.months": ("月数", "按月计价（每 TB 月存储）时的月数。"),
    "data.overhead": ("附加比例", "额外加成，例如标注的 15% 质检。"),
    "data.start_month": ("起始月份", "付款月份。"),
    "data.currency": ("币种", "留空：报告币种。"),
    # Staff
    "staff.role": ("岗位", "例如研究科学家。"),
    "staff.headcount": ("人数", "人数（可为 0.5）。"),
    "staff.annual_salary": ("年薪", "每人基本年薪。"),
    "staff.burden": ("附加成本", "工资之外的雇主成本（留空：驱动因素默认值）。"),
    "staff.allocation": ("投入比例", "用于该模型的时间比例。"),
    "staff.months": ("月数", "计入本预算的月数。"),
    "staff.start_month": ("起始月份", "第一个月。"),
    "staff.currency": ("币种", "留空：报告币种。"),
    # Facilities and other lines
    "other.name": ("项目", "内容说明。"),
    "other.family": ("成本类别", "compute、data、staff、power_facilities 或 experiments。"),
    "other.kind": ("类别", "例如 datacenter、colocation、network、software。"),
    "other.quantity": ("数量", "单位数量。"),
    "other.unit": ("单位", "数量的单位。"),
    "other.unit_cost": ("单价", "每单位价格。"),
    "other.months": ("月数", "按月计价时的月数。"),
    "other.overhead": ("附加比例", "额外加成。"),
    "other.start_month": ("起始月份", "付款月份。"),
    "other.currency": ("币种", "留空：报告币种。"),
    # GPU catalog
    "gpu_catalog.key": ("GPU 型号", "目录键：已有型号（覆盖其数值）或新型号（新增）。"),
    "gpu_catalog.aliases": ("别名", "其他名称，用分号分隔。"),
    "gpu_catalog.name": ("全称", "完整名称。"),
    "gpu_catalog.vendor": ("厂商", "例如 NVIDIA、AMD。"),
    "gpu_catalog.memory_gb": ("显存", "每 GPU 显存。"),
    "gpu_catalog.bf16_dense_tflops": ("BF16 峰值", "BF16 稠密峰值吞吐。新型号必填。"),
    "gpu_catalog.fp8_dense_tflops": ("FP8 峰值", "FP8 稠密峰值吞吐（留空：无 FP8）。"),
    "gpu_catalog.tdp_w": ("TDP", "GPU 热设计功耗。新型号必填。"),
    "gpu_catalog.server_power_ratio": ("服务器功率系数", "服务器功率 / GPU TDP 之和。"),
    "gpu_catalog.purchase_price_per_gpu": ("采购价格", "每 GPU 价格（美元）。"),
    "gpu_catalog.purchase_price_date": ("采购价日期", "价格日期，YYYY-MM。"),
    "gpu_catalog.purchase_price_source": ("采购价来源", "价格来源。"),
    "gpu_catalog.price_per_gpu_hour": ("租用价格", "按需每 GPU 小时价格（美元）。"),
    "gpu_catalog.price_date": ("租用价日期", "价格日期，YYYY-MM。"),
    "gpu_catalog.price_source": ("租用价来源", "价格来源。"),
    # FX
    "fx.currency": ("币种", "三位 ISO 代码，例如 CNY。"),
    "fx.rate": ("汇率", "1 单位该币种折合多少报告币种。"),
    "fx.note": ("备注", "汇率日期与来源。"),
    "fx.month": ("月份", "留空：预算汇率。填月份：该月实际汇率，用于实际发生表。"),
    "actuals.month": ("月份", "费用所属月份（发票或入账月份）。"),
    "actuals.family": ("类别", "compute、data、staff、power_facilities 或 experiments。"),
    "actuals.item": ("明细项目", "可选：对应的预算行（输入表上的名称）。"),
    "actuals.amount": ("金额", "入账金额；冲销为负数。"),
    "actuals.currency": ("币种", "留空：报告币种。"),
    "actuals.note": ("备注", "发票号、供应商、说明。"),
    "uncertainty.input": ("输入", "驱动因素键（mfu、kwh_price 等）或输入键，例如 "
                          "pools.h800.price_per_gpu_hour（表.名称.字段）。"),
    "uncertainty.distribution": ("分布", "fixed、uniform、triangular、pert、normal、lognormal "
                                 "或 bernoulli。"),
    "uncertainty.low": ("最低", "uniform、triangular、pert：最低值；"
                        "normal、lognormal：第 5 百分位。"),
    "uncertainty.most_likely": ("最可能", "triangular、pert：最可能值；fixed：取值。"),
    "uncertainty.high": ("最高", "uniform、triangular、pert：最高值；"
                         "normal、lognormal：第 95 百分位。"),
    "uncertainty.mean": ("均值", "normal、lognormal：均值（与标准差一起，代替最低和最高）；"
                         "bernoulli：概率。"),
    "uncertainty.sd": ("标准差", "normal、lognormal：标准差。"),
    "uncertainty.note": ("备注", "范围的来源。"),
    # Overrides
    "overrides.scenario": ("情景", "驱动因素表上的情景列名，例如 High。"),
    "overrides.key": ("输入键", "例如 pools.h800.price_per_gpu_hour 或 runs.final.tokens。"),
    "overrides.value": ("数值", "该情景下的取值。"),
    "overrides.note": ("备注", "为什么。"),
}

#: English unit → Chinese unit
UNITS: dict[str, str] = {
    "fraction": "比例",
    "ratio": "比值",
    "per kWh": "每千瓦时",
    "kg CO2/kWh": "千克 CO2/千瓦时",
    "years": "年",
    "x GPU price": "× GPU 价格",
    "per kW-month": "每千瓦月",
    "x final run": "× 最终训练",
    "per 1,000 GPU-days": "每 1,000 GPU 日",
    "hours": "小时",
    "probability": "概率",
    "fraction of salary": "工资比例",
    "ISO code": "ISO 代码",
    "YYYY-MM": "YYYY-MM",
    "count": "个",
    "per GPU-hour": "每 GPU 小时",
    "per GPU": "每 GPU",
    "months": "月",
    "W per GPU": "瓦/GPU",
    "FLOP": "FLOP",
    "GPU-hours": "GPU 小时",
    "per unit": "每单位",
    "people": "人",
    "per year": "每年",
    "GB": "GB",
    "TFLOP/s": "TFLOP/s",
    "W": "瓦",
    "x": "倍",
    "USD per GPU": "美元/GPU",
    "USD per GPU-hour": "美元/GPU 小时",
    "reporting per unit": "报告币种/单位",
    "key": "键",
    "as the input": "同输入",
    "tokens per sample": "token/样本",
    "tokens": "token",
    "sequences": "序列",
    "GPUs": "GPU",
}

#: sheet key → (title, one-line introduction)
SHEETS: dict[str, tuple[str, str]] = {
    "drivers": ("驱动因素与情景",
                "每行一个驱动因素；Base 列为基准值，其他列为情景（留空：沿用 Base）。"),
    "pools": ("GPU 池", "每行一组同型号 GPU，租用或自有。"),
    "runs": ("训练", "每行一次训练：最终训练或列出的实验。"),
    "data": ("数据", "数据集、爬取、存储、标注、处理：数量 × 单价（× 月数）（× (1 + 附加)）。"),
    "staff": ("研发人员", "人数 × 年薪 × (1 + 附加成本) × 投入比例 × 月数 / 12。"),
    "other": ("设施与其他", "任何类别的其他计价项目，例如机房托管、网络、软件。"),
    "gpu_catalog": ("GPU 目录", "覆盖或新增 GPU 型号；留空的单元格保留内置目录的数值。"),
    "fx": ("汇率", "非报告币种的行需要汇率：1 单位该币种 = 汇率 × 报告币种。"),
    "overrides": (
        "情景覆盖",
        "让某个情景改变任意数值输入，例如 High 情"
        "景中 h800 池为 2.80/GPU 小时。"),
    "uncertainty": ("不确定性（蒙特卡洛）",
                    "每行一个不确定输入：键、分布及其参数；驱动因素的 Base 单元格中输入 "
                    "0.35 to 0.45 这样的范围也可（90% 区间）。"),
    "actuals": ("实际发生",
                "每行一个月份与类别（可选明细项目）的入账金额，币种需在汇率表中有汇率。"),
}

#: fixed words used on the sheets
WORDS: dict[str, str] = {
    "Key": "键",
    "Driver": "驱动因素",
    "Unit": "单位",
    "Help": "说明",
    "unit →": "单位 →",
}

README_LINES: list[str] = [
    "costsheet 训练预算模板",
    "",
    "使用方法",
    "1. 在黄色单元格（蓝色字体）中填写输入。灰色小字的键行请勿修改：程序按键读取。",
    "2. 检查：costsheet check budget.xlsx（列出每个有问题的单元格，文件不会被修改）。",
    "3. 计算：costsheet run budget.xlsx（写回九张表：Summary、Line items、Checks、Scenarios、"
    "Sensitivity、Risk、Monthly、Variance、Refresh log）。",
    "",
    "颜色",
    "黄色底 + 蓝色字：输入",
    "灰色小字：键（程序读取，勿改）",
    "黑色字：标签与说明",
    "",
    "数字可写为 7B、14.8T、2.788M、1,082,990；比例写 40% 或 0.4（不要写 40）。",
    "月份写为 YYYY-MM，例如 2026-01。",
    "",
    "表",
]
