import { Module } from '@nestjs/common';
import { ReceptionistModule } from '../lib/index.js';
import { ChatModule } from './chat/chat.module.js';
import { DemoScenario } from './demo.scenario.js';
import { PaymentModule } from './payment/payment.module.js';

@Module({
  imports: [ReceptionistModule.forRoot({ systemName: 'shop', isGlobal: true }), PaymentModule, ChatModule],
  providers: [DemoScenario],
})
export class AppModule {}
