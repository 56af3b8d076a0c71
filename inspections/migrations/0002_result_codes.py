# The national wording of inspection results (检查结果), as the provincial credit-information
# systems publish them; a platform administrator may add codes (groups and finer codes) later.

from django.db import migrations

# code, name, is_problem, needs_followup, is_clean, exclusive, requires_reason
NATIONAL = [
    ("01", "未发现问题", False, False, True, True, False),
    ("02", "未按规定公示应当公示的信息", True, True, False, False, False),
    ("03", "公示信息隐瞒真实情况弄虚作假", True, True, False, False, False),
    ("04", "发现问题经责令已改正", True, False, False, False, False),
    ("05", "发现问题待后续处理", True, True, False, False, False),
    ("06", "未发现开展本次抽查涉及的经营活动", False, False, False, False, False),
    ("07", "通过登记的住所(经营场所)无法联系", True, True, False, False, False),
    ("08", "不配合检查情节严重", True, True, False, False, False),
    ("09", "检查对象已注销或吊销", False, False, False, True, False),
    ("10", "其他", False, False, False, False, True),
]


def ship(apps, schema_editor):
    ResultCode = apps.get_model("inspections", "ResultCode")
    for order, (code, name, problem, followup, clean, exclusive, reason) in enumerate(NATIONAL, 1):
        ResultCode.objects.update_or_create(code=code, defaults={
            "name": name, "is_problem": problem, "needs_followup": followup, "is_clean": clean,
            "exclusive": exclusive, "requires_reason": reason, "order": order * 10, "is_active": True,
        })


def unship(apps, schema_editor):
    apps.get_model("inspections", "ResultCode").objects.filter(code__in=[row[0] for row in NATIONAL]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("inspections", "0001_initial"),
    ]

    operations = [migrations.RunPython(ship, unship)]
