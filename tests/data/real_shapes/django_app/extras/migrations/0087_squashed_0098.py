import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ('extras', '0087_dashboard'),
        ('extras', '0088_jobresult_webhooks'),
        ('extras', '0089_customfield_is_cloneable'),
        ('extras', '0090_objectchange_index_request_id'),
        ('extras', '0091_create_managedfiles'),
        ('extras', '0092_delete_jobresult'),
        ('extras', '0093_configrevision_ordering'),
        ('extras', '0094_tag_object_types'),
        ('extras', '0095_bookmarks'),
        ('extras', '0096_customfieldchoiceset'),
        ('extras', '0097_customfield_remove_choices'),
        ('extras', '0098_webhook_custom_field_data_webhook_tags'),
    ]

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('extras', '0060_squashed_0086'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CachedValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ('object_id', models.PositiveBigIntegerField()),
                ('field', models.CharField(max_length=200)),
                ('value', models.TextField()),
                ('weight', models.PositiveSmallIntegerField(default=1000)),
                ('object_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
        ),
    ]
