"""Public projections, written as sampling registers its own (from ``SamplingConfig.ready()``).

A projection names the rows the public may see (``public() -> Q``, evaluated at each read) and
the fields it may see of them, each with its mask: a plan once published; a completed draw's
commitment, seed and pool hash at once; the drawn list only after the task's inspection window
has closed (the embargo: firms are not forewarned); the individual businesses of the registry
with their operator's name and address masked. Personal fields of inspectors are in none.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy import masks
from tenancy.projections import Projection, PublicField


def published_plans() -> Q:
    return Q(status="published")


def completed_draws() -> Q:
    return Q(status="completed")


def drawn_after_the_window() -> Q:
    return Q(draw__status="completed", draw__task__window_end__lt=timezone.localdate(), rank__isnull=False)


def individual_businesses() -> Q:
    return Q(entity_type="individual")


PROJECTIONS = (
    Projection(
        key="tests_plugin.published_plans", model="sampling.SamplingPlan", label=_("抽查计划"), public=published_plans,
        fields=(
            PublicField("year", _("年度")),
            PublicField("name", _("计划名称")),
            PublicField("doc_no", _("文号")),
            PublicField("organization__name", _("制定单位")),
            PublicField("published_at", _("公开时间")),
        ),
        order=10,
    ),
    Projection(
        key="tests_plugin.draws", model="sampling.Draw", label=_("抽取结果"), public=completed_draws,
        fields=(
            PublicField("task_uid", _("任务编号")),
            PublicField("task__name", _("任务名称")),
            PublicField("organization__name", _("抽查机关")),
            PublicField("committed_at", _("承诺时间")),
            PublicField("commitment", _("承诺值")),
            PublicField("pool_hash", _("对象池摘要")),
            PublicField("pool_size", _("对象池数量")),
            PublicField("seed", _("种子")),
            PublicField("drawn_at", _("抽取时间")),
        ),
        order=20,
    ),
    Projection(
        key="tests_plugin.drawn_entities", model="sampling.DrawSelection", label=_("抽查名单"),
        public=drawn_after_the_window,
        fields=(
            PublicField("draw__task_uid", _("任务编号")),
            PublicField("entity__name", _("名称")),
            PublicField("entity__code", _("统一社会信用代码")),
            PublicField("entity__region__name", _("登记机关所在地")),
        ),
        order=30,
    ),
    Projection(
        key="tests_plugin.individual_businesses", model="inventory.MarketEntity", label=_("个体工商户"),
        public=individual_businesses,
        fields=(
            PublicField("name", _("名称")),
            PublicField("code", _("统一社会信用代码")),
            PublicField("legal_representative", _("经营者"), mask=masks.person_name),
            PublicField("address", _("经营场所"), mask=masks.address_detail),
            PublicField("region__name", _("行政区划")),
        ),
        order=40,
    ),
)
