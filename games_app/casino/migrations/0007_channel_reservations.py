from django.conf import settings
from django.db import migrations, models


# The rules when this migration was written (games_app.casino.rules): a pending commit reserves its bet on
# the agent side and its largest net payout on the casino side (slots 290x: 289 x bet; coinflip 1.9x:
# bet x 0.9 rounded down to 18 places, as payouts are); an open lotto ticket reserves 85 x 0.001.
BACKFILL_SQL = """
UPDATE casino_channels AS channel
   SET reserved_agent = COALESCE(pending.bets, 0),
       reserved_casino = COALESCE(pending.casino, 0) + COALESCE(tickets.count, 0) * 0.085,
       open_lotto_tickets = COALESCE(tickets.count, 0)
  FROM casino_channels AS base
  LEFT JOIN (SELECT channel_id, SUM(bet_amount) AS bets,
                    SUM(CASE game WHEN 'slots' THEN bet_amount * 289 ELSE TRUNC(bet_amount * 0.9, 18) END) AS casino
               FROM casino_commits WHERE status = 'pending' GROUP BY channel_id) AS pending
         ON pending.channel_id = base.id
  LEFT JOIN (SELECT channel_id, SUM(ticket_count) AS count
               FROM casino_lotto_tickets WHERE status = 'open' GROUP BY channel_id) AS tickets
         ON tickets.channel_id = base.id
 WHERE channel.id = base.id AND (pending.channel_id IS NOT NULL OR tickets.channel_id IS NOT NULL)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('casino', '0006_stats_shards'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='casinochannel',
            name='open_lotto_tickets',
            field=models.BigIntegerField(default=0, help_text='tickets (ticket_count) not yet drawn'),
        ),
        migrations.AddField(
            model_name='casinochannel',
            name='reserved_agent',
            field=models.DecimalField(decimal_places=18, default=0, help_text='bets of the pending commits', max_digits=38),
        ),
        migrations.AddField(
            model_name='casinochannel',
            name='reserved_casino',
            field=models.DecimalField(decimal_places=18, default=0, help_text='largest net payout of each pending commit + 85x every open lotto ticket', max_digits=38),
        ),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name='casinochannel',
            constraint=models.CheckConstraint(condition=models.Q(('reserved_agent__gte', 0), ('reserved_agent__lte', models.F('agent_balance'))), name='casino_channel_reserved_agent_covered'),
        ),
        migrations.AddConstraint(
            model_name='casinochannel',
            constraint=models.CheckConstraint(condition=models.Q(('reserved_casino__gte', 0), ('reserved_casino__lte', models.F('casino_balance'))), name='casino_channel_reserved_casino_covered'),
        ),
        migrations.AddConstraint(
            model_name='casinochannel',
            constraint=models.CheckConstraint(condition=models.Q(('open_lotto_tickets__gte', 0)), name='casino_channel_open_tickets_gte_0'),
        ),
    ]
