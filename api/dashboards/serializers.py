"""The metrics API's answers: the numbers of the team dashboard and of the library dashboard,
as dashboards.metrics computes them (TeamMetrics, LibraryMetrics). Output only; ratios and
means are JSON numbers with two decimals (not strings), and a number that cannot be worked
out (no own incident in the period) is null."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import Platform, Severity


def two_places(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False,
                                    allow_null=True, read_only=True, help_text=help_text)


class PublicIds(serializers.ListField):
    """Objects written as their public ids."""

    child = serializers.UUIDField()

    def to_representation(self, data):
        return [str(obj.public_id) for obj in data]


class OriginCountsSerializer(serializers.Serializer):
    own = serializers.IntegerField(read_only=True, help_text="The team's own incidents.")
    external = serializers.IntegerField(read_only=True,
                                        help_text="Other organisations' incidents it logged.")


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(read_only=True, help_text="The week's Monday.")
    own = serializers.IntegerField(read_only=True)
    external = serializers.IntegerField(read_only=True)


class CauseCountSerializer(serializers.Serializer):
    cause = serializers.SlugField(source="slug", read_only=True,
                                  help_text="The primary cause's slug.")
    own = serializers.IntegerField(read_only=True)
    external = serializers.IntegerField(read_only=True)
    own_before = serializers.IntegerField(
        read_only=True, help_text="Own incidents of the previous period of the same length.")
    external_before = serializers.IntegerField(
        read_only=True, help_text="External incidents of the previous period.")


class LearningCountsSerializer(serializers.Serializer):
    draft = serializers.IntegerField(read_only=True)
    proposed = serializers.IntegerField(read_only=True)
    adopted = serializers.IntegerField(read_only=True)
    retired = serializers.IntegerField(read_only=True)
    created = serializers.IntegerField(read_only=True, help_text="Created in the period.")
    adopted_in_period = serializers.IntegerField(read_only=True,
                                                 help_text="Adopted in the period.")


class ActionItemCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True, help_text="Open and due before today.")
    done = serializers.IntegerField(read_only=True, help_text="Done in the period.")


class TeamMetricsSerializer(serializers.Serializer):
    """A team's dashboard numbers over one period (the definitions: the dashboard's "How is
    this counted?")."""

    # "from" is a Python keyword: declared as `start`, named in get_fields.
    RENAMED = {"start": "from", "end": "to"}

    team = serializers.SlugField(source="team.slug", read_only=True)
    start = serializers.DateField(source="period.start", read_only=True,
                                  help_text="The period's first day, in the team's calendar.")
    end = serializers.DateField(source="period.end", read_only=True,
                                help_text="The period's last day (included).")
    incidents = OriginCountsSerializer(read_only=True,
                                       help_text="Incidents that occurred in the period.")
    incidents_per_week = WeekSerializer(many=True, read_only=True,
                                        help_text="Every Monday-start week of the period.")
    causes = CauseCountSerializer(many=True, read_only=True,
                                  help_text="Primary causes of the period's incidents, most "
                                            "first.")
    learnings = LearningCountsSerializer(read_only=True,
                                         help_text="The team's learnings now, by status.")
    action_items = ActionItemCountsSerializer(read_only=True)
    learning_ratio = two_places("Learnings drawn from other organisations' incidents per own "
                                "incident; null without own incidents.")
    repeat_causes = serializers.IntegerField(
        read_only=True, help_text="Own incidents whose primary cause an adopted learning "
                                  "already covered.")
    median_minutes_to_first_response = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text="From detection to first public response, own incidents; null without one.")
    mean_response_score = two_places("Own incidents' mean response score (0–4); null "
                                     "without own incidents.")
    recent_incidents = PublicIds(read_only=True, help_text="Newest first, at most five.")
    recent_learnings = PublicIds(read_only=True, help_text="Newest first, at most five.")

    def get_fields(self):
        return {self.RENAMED.get(name, name): field
                for name, field in super().get_fields().items()}


class YearCountSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    incidents = serializers.IntegerField(read_only=True)


class CauseYearsSerializer(serializers.Serializer):
    cause = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    years = YearCountSerializer(many=True, read_only=True,
                                help_text="Every year from the library's first to its last, "
                                          "zeros included.")


class PlatformCountSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(Platform.choices, source="key", read_only=True)
    incidents = serializers.IntegerField(read_only=True)


class OrganizationCountSerializer(serializers.Serializer):
    organization = serializers.SlugField(source="key", read_only=True)
    name = serializers.CharField(source="label", read_only=True)
    incidents = serializers.IntegerField(read_only=True)


class SeverityResponseSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(Severity.choices, read_only=True)
    incidents = serializers.IntegerField(read_only=True)
    acknowledged = serializers.IntegerField(source="moves.acknowledged", read_only=True)
    apologized = serializers.IntegerField(source="moves.apologized", read_only=True)
    explained_fix = serializers.IntegerField(source="moves.explained_fix", read_only=True)
    asked_for_help = serializers.IntegerField(source="moves.asked_for_help", read_only=True)


class CauseScoreSerializer(serializers.Serializer):
    cause = serializers.SlugField(source="slug", read_only=True)
    incidents = serializers.IntegerField(read_only=True)
    mean_response_score = two_places("The mean response score (0–4).")


class LibraryMetricsSerializer(serializers.Serializer):
    """The library dashboard's numbers, over every active shared incident."""

    incidents = serializers.IntegerField(read_only=True)
    causes_by_year = serializers.SerializerMethodField(
        help_text="Shared incidents per primary cause and year, most incidents first.")
    platforms = PlatformCountSerializer(many=True, read_only=True, help_text="Most first.")
    organizations = OrganizationCountSerializer(
        many=True, read_only=True, help_text="The ten organisations with most incidents.")
    response_by_severity = SeverityResponseSerializer(
        many=True, read_only=True,
        help_text="Per severity: its incidents, and how many had each response move.")
    score_by_cause = CauseScoreSerializer(many=True, read_only=True,
                                          help_text="By the cause's code.")

    @extend_schema_field(CauseYearsSerializer(many=True))
    def get_causes_by_year(self, metrics) -> list:
        # Each cause's counts are aligned with the library's years (LibraryMetrics.years).
        return CauseYearsSerializer([
            {"cause": cause.slug, "name": cause.name,
             "years": [{"year": year, "incidents": n}
                       for year, n in zip(metrics.years, cause.per_year, strict=True)]}
            for cause in metrics.causes_by_year], many=True).data
