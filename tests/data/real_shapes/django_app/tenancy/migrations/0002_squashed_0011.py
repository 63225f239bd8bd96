import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ('tenancy', '0002_tenant_ordering'),
        ('tenancy', '0003_contacts'),
        ('tenancy', '0004_extend_tag_support'),
        ('tenancy', '0005_standardize_id_fields'),
        ('tenancy', '0006_created_datetimefield'),
        ('tenancy', '0007_contact_link'),
        ('tenancy', '0008_unique_constraints'),
        ('tenancy', '0009_standardize_description_comments'),
        ('tenancy', '0010_tenant_relax_uniqueness'),
        ('tenancy', '0011_contactassignment_tags'),
    ]

    dependencies = [
        ('extras', '0002_squashed_0059'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('tenancy', '0001_squashed_0012'),
    ]

    operations = [
        migrations.CreateModel(
            name='ContactRole',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ('name', models.CharField(max_length=100, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name='Contact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ('name', models.CharField(max_length=100)),
            ],
        ),
        migrations.CreateModel(
            name='ContactAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ('object_id', models.PositiveBigIntegerField()),
                ('priority', models.CharField(blank=True, max_length=50)),
                ('contact', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='tenancy.contact')),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype')),
                ('role', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='tenancy.contactrole')),
            ],
        ),
    ]
