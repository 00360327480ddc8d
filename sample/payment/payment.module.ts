import { Module } from '@nestjs/common';
import { AuditLog } from './audit.handler.js';
import { CheckoutService } from './checkout.service.js';
import { Ledger } from './ledger.service.js';
import { PaymentHandler } from './payment.handler.js';

@Module({
  providers: [Ledger, PaymentHandler, AuditLog, CheckoutService],
  exports: [CheckoutService],
})
export class PaymentModule {}
