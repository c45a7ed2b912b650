from django.db import migrations, models


# The sharded running totals go: a stats read now adds the rounds past each game's fold, so one row per
# game that has folded nothing yet (through_round_id 0) answers exactly what the rounds say. Backwards,
# the old shard-0 rows are rebuilt from the rounds the same way.
SHARDS_TO_REBUILD_SQL = "DELETE FROM casino_game_stats"
SHARDS_REBUILT_SQL = """
INSERT INTO casino_game_stats (game, shard, total_rounds, total_wagered, total_paid_out, updated_at)
SELECT game.name, 0, COUNT(r.id) FILTER (WHERE r.kind <> 'lotto_win'), COALESCE(SUM(r.bet_amount), 0),
       COALESCE(SUM(r.payout), 0), NOW()
  FROM (VALUES ('slots'), ('coinflip'), ('lotto')) AS game(name)
  LEFT JOIN casino_rounds r ON r.game = game.name
 GROUP BY game.name
"""
UNFOLDED_ROWS_SQL = """
INSERT INTO casino_game_stats (game, total_rounds, total_wagered, total_paid_out, through_round_id, updated_at)
VALUES ('slots', 0, 0, 0, 0, NOW()), ('coinflip', 0, 0, 0, 0, NOW()), ('lotto', 0, 0, 0, 0, NOW())
"""


class Migration(migrations.Migration):

    dependencies = [
        ('casino', '0007_channel_reservations'),
    ]

    operations = [
        migrations.RunSQL(SHARDS_TO_REBUILD_SQL, SHARDS_REBUILT_SQL),
        migrations.AlterModelOptions(
            name='casinogamestats',
            options={'ordering': ['game'], 'verbose_name_plural': 'casino game stats'},
        ),
        migrations.RemoveConstraint(
            model_name='casinogamestats',
            name='casino_game_stats_game_shard',
        ),
        migrations.RemoveField(
            model_name='casinogamestats',
            name='shard',
        ),
        migrations.AddField(
            model_name='casinogamestats',
            name='candidate_round_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='casinogamestats',
            name='candidate_xid',
            field=models.BigIntegerField(blank=True, help_text='a transaction id taken after candidate_round_id was read', null=True),
        ),
        migrations.AddField(
            model_name='casinogamestats',
            name='through_round_id',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='casinogamestats',
            name='game',
            field=models.CharField(choices=[('slots', 'Slots'), ('coinflip', 'Coinflip'), ('lotto', 'Lotto')], max_length=16, unique=True),
        ),
        migrations.AddConstraint(
            model_name='casinogamestats',
            constraint=models.CheckConstraint(condition=models.Q(('through_round_id__gte', 0), ('total_paid_out__gte', 0), ('total_rounds__gte', 0), ('total_wagered__gte', 0)), name='casino_game_stats_gte_0'),
        ),
        migrations.RunSQL(UNFOLDED_ROWS_SQL, "DELETE FROM casino_game_stats"),
    ]
