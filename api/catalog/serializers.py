"""What the API offers to read and name things by: organisations, the root-cause taxonomy,
contributing factors, and the caller's teams."""

from rest_framework import serializers

from accounts.models import Role


class OrganizationSerializer(serializers.Serializer):
    id = serializers.SlugField(source="slug", read_only=True,
                               help_text="Its slug: how incidents and filters name it.")
    name = serializers.CharField(read_only=True)
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    industry = serializers.CharField(read_only=True)
    website = serializers.CharField(read_only=True)
    handles = serializers.ListField(child=serializers.CharField(), read_only=True)
    team = serializers.SlugField(
        source="team.slug", read_only=True, allow_null=True,
        help_text="The team it is private to (one of the caller's), or null when shared.")


class RootCauseSerializer(serializers.Serializer):
    id = serializers.SlugField(source="slug", read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    prevention = serializers.CharField(read_only=True)
    active = serializers.BooleanField(
        source="is_active", read_only=True,
        help_text="False: retired from the taxonomy; older incidents may still name it.")


class FactorSerializer(serializers.Serializer):
    id = serializers.SlugField(source="slug", read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)


class TeamSerializer(serializers.Serializer):
    id = serializers.SlugField(source="slug", read_only=True)
    name = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True,
                                     help_text="Where its dates (due, overdue) are counted.")
    role = serializers.ChoiceField(Role.choices, read_only=True,
                                   help_text="The caller's role in it.")
