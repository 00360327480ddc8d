/** An ordinary Nest provider, injected into the payment handler. */
import { Injectable } from '@nestjs/common';

@Injectable()
export class Ledger {
  private balance = 0;

  credit(amount: number): number {
    this.balance += amount;
    return this.balance;
  }
}
